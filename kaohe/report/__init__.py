"""Reports: the yearly bulletin (通报) and each unit's feedback report (反馈) as HTML.

Parameterised notebooks in ``notebooks/`` are executed by papermill and exported by
nbconvert without code. The modules are small and separately importable so that a
notebook kernel only pays for what it uses:

- ``html``    — escaping, number formatting, HTML fragments and tables (no heavy imports);
- ``data``    — the score tables a build wrote, read back with their types;
- ``charts``  — matplotlib charts as deterministic SVG, set in a CJK font the project ships;
- ``views``   — what one unit's report reads of its scheme-year, and a digest per unit;
- ``plan``    — which pages a build makes and where they go;
- ``keys``    — build keys: when a page can be kept from the previous build;
- ``execute`` — papermill execution in a fresh kernel and the checks on its outputs;
- ``kernel``  — warm kernels: many notebooks in one kernel, reset between them
  (``warm`` is what runs inside that kernel);
- ``export``  — nbconvert HTML export with the project's template and shared stylesheet;
- ``worker``  — rendering pages where the kernels run (build process, worker, Dask worker);
- ``executors`` — in this process, local worker processes, or a Dask cluster;
- ``files``   — atomic writes;
- ``progress`` — a progress bar on a terminal, plain lines elsewhere;
- ``index``   — index pages per scheme-year and over everything;
- ``build``   — all of the above for a list of rubric files (``kaohe build``).
"""
