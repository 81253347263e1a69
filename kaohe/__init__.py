"""kaohe — reproducible yearly assessment (考核) of jurisdictions and departments.

Data flows one way: a rubric (``params/<scheme>/<year>.yaml``) and a year's data
(``data/<scheme>/<year>/``) are loaded and validated, scored by pure rule functions,
and presented by notebooks.
"""

__version__ = "0.1.0"
