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

    /// Whether a message from `user` in `chat` may be answered. In a private chat (the chat id is
    /// the user id) the user must be allowed; in a group the group must be: an allowed user does
    /// not open every group they add the bot to. Admins are allowed everywhere.
    public func permits(user: Int64, chat: Int64) -> Bool {
        if allowed.isEmpty || admins.contains(user) { return true }
        return chat == user ? allowed.contains(user) : allowed.contains(chat)
    }

    /// Whether `user` may use admin commands.
    public func isAdmin(_ user: Int64) -> Bool {
        admins.contains(user)
    }
}
