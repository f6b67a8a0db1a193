"""xmfin's scale benchmark: synthetic data folders and the runner that times xmfin against floors."""
