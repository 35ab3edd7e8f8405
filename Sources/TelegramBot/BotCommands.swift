import Assistant
import Core
import Foundation
import Store

/// The bot's slash commands.
enum BotCommands {
    static let menu: [(command: String, description: String)] = [
        ("start", "Say hello"), ("help", "What I can do"), ("reset", "Forget our conversation"),
        ("persona", "Answer as professional, friendly, casual or helpful"), ("model", "The model in use"),
        ("usage", "Your spend today"), ("stats", "Service stats (admins)"), ("providers", "Providers (admins)"),
    ]

    static var help: String {
        "I'm an AI assistant. Just write to me.\n\nCommands:\n" + menu.map { "/\($0.command) — \($0.description)" }.joined(separator: "\n")
    }

    static let groupAdminsOnly = "In a group, only its admins (or the bot's) can do that."
    static let notSaved = "I couldn't save that just now; please try again in a minute."

    /// Whether `user` may reset or restyle the conversation of `chat`: anyone in a private chat;
    /// in a group, the bot's admins and the group's own (asked of Telegram; refused if it fails).
    /// 00:00 UTC of `date`'s day: where today's figures (and the daily budgets) start.
    static func startOfUTCDay(_ date: Date) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar.startOfDay(for: date)
    }

    static func mayChangeConversation(user: Int64, chat: Int64, bot: TelegramBot) async -> Bool {
        guard chat != user, !bot.access.isAdmin(user) else { return true }
        // Telegram could not say: no, as for anyone who is not an administrator.
        guard let status = try? await bot.api.getChatMemberStatus(chatID: chat, userID: user) else { return false }
        return status == "creator" || status == "administrator"
    }

    static func run(_ text: String, user: Int64, chat: Int64, bot: TelegramBot) async -> String {
        let words = text.split(separator: " ").map(String.init)
        let command = (words.first ?? "").dropFirst().split(separator: "@").first.map(String.init)?.lowercased() ?? ""
        let argument = words.dropFirst().joined(separator: " ")
        let isAdmin = bot.access.isAdmin(user)
        let conversation = ConversationID.telegram(chat: chat)
        switch command {
        case "start":
            return "Hello! " + help
        case "help":
            return help
        case "reset":
            guard await mayChangeConversation(user: user, chat: chat, bot: bot) else { return groupAdminsOnly }
            do {
                try bot.assistant.reset(conversation)
                return "Done — I've forgotten our conversation."
            } catch {
                return "Sorry, I couldn't reset our conversation right now."
            }
        case "persona":
            guard !argument.isEmpty else { return "Usage: /persona professional|friendly|casual|helpful|auto" }
            let persona = Persona(name: argument)
            guard persona != nil || argument.lowercased() == "auto" else { return "I know these personas: professional, friendly, casual, helpful (or auto)." }
            guard await mayChangeConversation(user: user, chat: chat, bot: bot) else { return groupAdminsOnly }
            do {
                try bot.assistant.setPersona(persona, for: conversation, channel: .telegram)
            } catch {
                bot.logger.error("a persona could not be saved", metadata: ["conversation": "\(conversation)", "reason": "\(error)"])
                return Self.notSaved
            }
            return persona.map { "I'll answer as \($0.rawValue) from now on." } ?? "I'll adapt to your style again."
        case "model":
            if !argument.isEmpty {
                guard isAdmin else { return "Only admins can pin a model." }
                do {
                    try bot.controls.pin(model: argument.lowercased() == "auto" ? nil : argument)
                    return argument.lowercased() == "auto" ? "Models are chosen automatically again." : "Pinned to \(argument)."
                } catch {
                    return "\(error)"
                }
            }
            return bot.controls.pinnedModel.map { "Pinned to \($0)." } ?? "Chosen automatically for each message (cheapest adequate model)."
        case "usage":
            let limit = bot.settings.quotas.userDailyUSD
            guard limit > 0, let left = bot.controls.dailyBudgetLeft(for: String(user)) else { return "There's no daily limit for you." }
            return String(format: "Today you've used $%.4f of your $%.2f daily budget ($%.4f left).", max(0, limit - left), limit, max(0, left))
        case "stats", "providers":
            guard isAdmin else { return "That command is for admins." }
            let names = bot.controls.providerNames
            if command == "providers" {
                return names.map { "\($0): \(bot.controls.isEnabled($0) ? "enabled" : "disabled"), circuit \(bot.controls.circuitState(of: $0).rawValue)" }.joined(separator: "\n")
            }
            guard let summary = try? bot.store.usageSummary(since: Self.startOfUTCDay(Date())) else {
                return "I can't read today's figures right now; try again in a minute."  // not zeros, which would be false
            }
            return String(format: "Today: %d requests, %.0f%% answered, $%.4f spent, cache hit rate %.0f%%.", summary.requests, summary.successRate * 100, summary.totalCostUSD, summary.cacheHitRate * 100)
        default:
            return "I don't know that command.\n\n" + help
        }
    }
}
