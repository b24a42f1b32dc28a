"""Signing: who signs (keys, the custodian's CA and certificate) and the signatures themselves (PAdES, CAdES,
renewal), with pyHanko. Imports the shared vocabulary only: never records, views, build, verify or the
command line.
"""
