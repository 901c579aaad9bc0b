"""Converters from the public source files to the bundled dataset folders, one module per dataset."""
