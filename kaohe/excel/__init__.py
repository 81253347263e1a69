"""Data from the field as Excel: templates out (``template``), filled templates and plain
CSVs in (``reader`` → ``importer``), results as Excel (``results``).

``layout`` holds what templates and the importer must agree on (sheet names, columns,
the hidden metadata); ``describe`` puts each rule into words for the people filling in;
``workbook`` saves workbooks byte-for-byte reproducibly.
"""
