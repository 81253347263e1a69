"""Reports: the yearly bulletin (通报) and each unit's feedback report (反馈) as HTML.

Parameterised notebooks in ``notebooks/`` are executed by papermill and exported by
nbconvert without code. The modules are small and separately importable so that a
notebook kernel only pays for what it uses:

- ``html``    — escaping, number formatting, HTML fragments and tables (no heavy imports);
- ``data``    — the score tables a build wrote, read back with their types;
- ``charts``  — matplotlib charts as deterministic SVG, set in a CJK font the project ships;
- ``plan``    — which pages a build makes and where they go;
- ``execute`` — papermill execution and the checks on its outputs;
- ``export``  — nbconvert HTML export with the project's template and shared stylesheet;
- ``index``   — index pages per scheme-year and over everything;
- ``build``   — all of the above for a list of rubric files (``kaohe build``).
"""
