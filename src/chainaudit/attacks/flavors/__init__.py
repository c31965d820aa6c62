"""Recipes that reproduce a peer tool's implementation, quirks included: `openattack` (OpenAttack 2.1.1, the tool
the study under audit used) and `textattack` (TextAttack 0.3.11). Each module's `RECIPES` maps a recipe name to
its builder; `recipes.build_recipe(name, resources, flavor)` picks it. The default flavour, `paper`, is
`recipes.RECIPES`."""
