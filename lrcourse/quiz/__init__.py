"""The quiz engine: banks as data (model, bank), grading (check, run), verification and rendering."""
