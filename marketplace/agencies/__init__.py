"""Service agencies: the services they publish and the directory clients order them from."""
