# One otakit_add_test per core area.
