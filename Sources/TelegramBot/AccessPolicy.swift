/// Who may talk to the bot and who may use admin commands, from `TELEGRAM_ALLOWED_USERS` and
/// `TELEGRAM_ADMIN_USERS`.
public struct AccessPolicy: Sendable, Hashable {
    /// User and group ids allowed; empty means everyone.
    public let allowed: Set<Int64>
    /// User ids with admin rights (always allowed).
    public let admins: Set<Int64>

    /// A policy over the configured ids.
    public init(allowed: some Sequence<Int64>, admins: some Sequence<Int64>) {
        self.allowed = Set(allowed)
        self.admins = Set(admins)
    }

    /// Whether a message from `user` in `chat` may be answered. In a group it is enough that the
    /// group is allowed; in a private chat the chat id is the user id.
    public func permits(user: Int64, chat: Int64) -> Bool {
        allowed.isEmpty || admins.contains(user) || allowed.contains(user) || allowed.contains(chat)
    }

    /// Whether `user` may use admin commands.
    public func isAdmin(_ user: Int64) -> Bool {
        admins.contains(user)
    }
}
