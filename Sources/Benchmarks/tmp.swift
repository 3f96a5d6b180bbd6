public enum BenchPlaceholderRemoveMe {}
