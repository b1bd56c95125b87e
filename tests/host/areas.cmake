# One otakit_add_test per host area.
