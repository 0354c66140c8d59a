package gbdt

// AUC exposes the weighted ROC AUC helper (tested in TestAUC) to the
// external tests.
var AUC = auc
