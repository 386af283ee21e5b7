"""Pages anyone can read: the start page, published results and the receipt lists."""
