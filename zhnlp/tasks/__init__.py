"""Tasks: the tagger (BiLSTM-CRF, HMM), the classifier and the translator, each loaded, trained and applied."""
