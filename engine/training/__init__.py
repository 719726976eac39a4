"""One run: the trainer loop, its callbacks (best epoch, early stopping), evaluation of a
model on a split and the reports made from it."""
