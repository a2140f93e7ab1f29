"""Geography: the areas of every layer (`areas`: validity, boundary versions, EPSG:25832), which
area every address lies in each year (`assign`), and the atoms every published area is made of
(`atoms`: addresses in the same area of every layer). Import from the modules; nothing is here."""
