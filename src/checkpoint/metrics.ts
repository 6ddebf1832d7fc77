/** A checkpoint's metrics by name (loss, val_loss, accuracy, …): what the manifest records and `best` compares. */
export type Metrics = Record<string, number>;
