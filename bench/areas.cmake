# One benchmark executable per area.
