"""The published dashboard: asv's pages served without network.

* ``manifest.json`` / ``manifest.py`` — the pinned npm tarballs and the files asv's pages load;
* ``cache.py`` — the per-user cache of those tarballs and installing it from a copied cache;
* ``fetch.py`` — fetching the tarballs from the npm registry (``npm pack`` or HTTPS);
* ``vendor.py`` — copying the files and their licences into the html directory;
* ``rewrite.py`` — pointing ``<script>``/``<link>`` tags at the local copies (and their digests);
* ``publish.py`` — ``asv publish`` + vjplab's pages + the above (``vjplab publish``);
* ``command.py`` — ``vjplab assets``.
"""
