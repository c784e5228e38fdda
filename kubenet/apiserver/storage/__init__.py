"""One storage object per served kind, as pkg/registry/<group>/<kind>/{strategy,storage}.go split it upstream.

`table.build` makes them; `generic.GenericStore` is the REST semantics every stored kind shares, `strategy.Strategy`
the default rules for a plain kind, and a module per kind (or small group) holds what is special about it.
"""
