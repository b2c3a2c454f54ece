"""The presentation: tables, figures, widgets, the chapters' helpers and the scorecard against the
published values. Imports the science and the data; nothing imports it but the notebooks."""
