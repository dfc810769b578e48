"""The workbench's widgets: the transcript view, the side panels and the dialogs."""
