"""Where a market lives, behind one `Venue` protocol: the embedded exchange and Dexetra."""
