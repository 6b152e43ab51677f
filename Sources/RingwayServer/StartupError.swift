/// A problem that stops the daemon at start (a key file that cannot be read, a certificate that
/// cannot be loaded, an address in use). ``description`` is one line for the operator.
public struct StartupError: Error, Sendable, CustomStringConvertible {
    /// The one-line explanation.
    public let description: String

    /// Creates an error with its one-line explanation.
    public init(_ description: String) {
        self.description = description
    }
}
