/// Text for a POSIX shell: the one quoting of commands ScanLab writes for people or for
/// sbatch (reports, Slurm scripts), so a pasted command runs exactly what was run.
public enum ShellQuoting {
    /// `word` as one shell word: unchanged when it holds only characters no shell treats
    /// specially, else in single quotes (a single quote inside as '\'').
    public static func quote(_ word: String) -> String {
        let plain = !word.isEmpty && word.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || "_-./=,:+@%".unicodeScalars.contains($0)
        }
        return plain ? word : alwaysQuoted(word)
    }

    /// `word` in single quotes whatever it holds (scripts whose lines should read alike).
    public static func alwaysQuoted(_ word: String) -> String { "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    /// A command line of quoted words.
    public static func command(_ words: [String]) -> String { words.map(quote).joined(separator: " ") }
}
