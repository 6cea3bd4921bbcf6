"""Reviews (评价栏): star ratings and text from the public, moderated before they are shown."""
