"""The dataset on disk: JSON Lines files published atomically, datapackage.json, validation."""
