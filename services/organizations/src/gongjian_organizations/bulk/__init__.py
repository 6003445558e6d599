"""Import and export as files (XLSX, CSV) with Chinese headers: templates, reading, row mapping,
the import runner, the report of rejected rows and the coverage export.

Imports run in-process against the service's database in one transaction, through the same use
cases (and so the same rules) as the API.
"""
