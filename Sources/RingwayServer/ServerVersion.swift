/// The version of this build of the daemon.
public enum ServerVersion {
    /// The daemon's version.
    public static let current = "0.1.0-dev"
    /// The wire contract version it implements.
    public static let contract = "1.2"
}
