"""After evaluation: metrics, statistics, null sets, the evidence gates, pairing, metrics files, common neurons."""
