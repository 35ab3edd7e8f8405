import Testing

@testable import TelegramBot

@Suite struct AddressingTests {
    @Test(arguments: [
        ("@probe_bot what is 2+2?", true, "what is 2+2?"),
        ("what is 2+2, @Probe_Bot?", true, "what is 2+2, ?"),
        ("thanks @probe_bot.", true, "thanks ."),
        ("ask @probe_bot_fan instead", false, "ask @probe_bot_fan instead"),
        ("mail me@probe_bot.example", false, "mail me@probe_bot.example"),
        ("see @probe_bot.example.com", false, "see @probe_bot.example.com"),
        ("nobody here", false, "nobody here"),
    ])
    func mentionsAreWholeWords(text: String, mentioned: Bool, cleaned: String) {
        let addressing = Addressing(text: text, botUsername: "probe_bot")
        #expect(addressing.mentionsBot == mentioned)
        #expect(addressing.command == nil)
        #expect(addressing.textWithoutMentions == cleaned)
    }

    @Test func commandsForAnotherBotAreNotOurs() {
        #expect(Addressing(text: "/help@otherbot", botUsername: "probe_bot").command == .otherBot)
        #expect(Addressing(text: "/help@probe_bot_fan", botUsername: "probe_bot").command == .otherBot)
        let ours = Addressing(text: "/persona@Probe_Bot friendly", botUsername: "probe_bot")
        #expect(ours.command == .forThisBot)
        #expect(ours.textWithoutMentions == "/persona friendly")
        #expect(Addressing(text: "/help", botUsername: "probe_bot").command == .forThisBot)
    }
}
