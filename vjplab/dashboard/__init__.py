"""The published dashboard: asv's pages served without network, and vjplab's own pages.

* ``manifest.json`` / ``manifest.py`` — the pinned npm tarballs and the files asv's pages load;
* ``cache.py`` — the per-user cache of those tarballs and installing it from a copied cache;
* ``fetch.py`` — fetching the tarballs from the npm registry (``npm pack`` or HTTPS);
* ``vendor.py`` — copying the files and their licences into the html directory;
* ``rewrite.py`` — pointing ``<script>``/``<link>`` tags at the local copies (and their digests);
* ``publish.py`` — ``asv publish`` + vjplab's pages (``PAGE_WRITERS``) + the above
  (``vjplab publish``);
* ``command.py`` — ``vjplab assets`` and ``vjplab publish``;
* ``report_page.py``, ``report_plots.py``, ``run_data.py``, ``run_manifest.py`` — the report of
  this environment's run (``vjplab report``).
"""
