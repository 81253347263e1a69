"""kaohe — reproducible yearly assessment (考核) of jurisdictions and departments.

Data flows one way: a rubric (``params/<scheme>/<year>.yaml``) and a year's data
(``data/<scheme>/<year>/``) are loaded and validated, scored by pure rule functions,
and presented by notebooks.
"""

import pandas as _pd

# pandas keeps text in Python objects, as it does without pyarrow: pyarrow is installed for
# the readers (kaohe.columnar), and pandas would otherwise store every text column in it,
# which changes how the scoring code's text operations behave (and its results' bytes).
_pd.set_option("mode.string_storage", "python")

__version__ = "0.1.0"
