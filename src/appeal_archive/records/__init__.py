"""Records: a records folder -> a checked, summarised record set.

YAML is read (loader), checked against the models' schema (models, schema), summarised file by file (scan),
then as a set (checks), for what must not be published (access, unmask, keymaterial), and salted (salts);
validate runs it all, fmt rewrites records in their one style. Imports only the shared vocabulary at the
package's top (errors, codes, files, layout, ...): no ledger, view, signing, build, verify or command line.
"""
