"""Level Measures: the product's brain (sources -> store -> peers -> compare -> geo -> charts -> export)."""
