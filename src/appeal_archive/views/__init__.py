"""Views: the dossier (a record set's models) -> the archive's outputs: the PDF (typeset, PDF/A), the JSON-LD
bundle, Linked Art, the RO-Crate metadata and the BagIt package. Imports records, the ledger and the shared
vocabulary: never signing, build, verify or the command line.
"""
