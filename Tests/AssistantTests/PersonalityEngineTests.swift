import Testing

@testable import Assistant

@Suite struct PersonalityEngineTests {
    static let formal = [
        "Good afternoon. I would appreciate a thorough explanation of the consistency guarantees provided by write-ahead logging in relational databases.",
        "Thank you for the clarification. Could you kindly elaborate on the performance implications of checkpointing under sustained concurrent workloads?",
        "Furthermore, I should like to understand the recommended configuration for production deployments with stringent durability requirements.",
        "I appreciate your assistance. Please describe the circumstances under which an administrator ought to prefer synchronous replication.",
    ]
    static let slangy = [
        "yo lol this db thing is kinda broken 😂😂 u gonna fix it??",
        "haha omg yeah thats awesome!!! 🔥🔥",
        "bro idk wanna just ship it lol 😜",
        "nah dude gotta try the cool one!! 🤣",
    ]

    func learn(_ messages: [String], rounds: Int = 5) -> PersonalityTraits {
        var traits = PersonalityTraits.neutral
        for _ in 0..<rounds { for message in messages { traits = PersonalityEngine.update(traits, with: message) } }
        return traits
    }

    @Test func formalAndSlangyRunsDriveTheTraitsApart() {
        let formal = learn(Self.formal)
        let slangy = learn(Self.slangy)
        #expect(formal.formality > 0.7, "\(formal)")
        #expect(slangy.formality < 0.3, "\(slangy)")
        #expect(slangy.humour > formal.humour + 0.3)
        #expect(slangy.extraversion > formal.extraversion + 0.2)
        #expect(formal.agreeableness > slangy.agreeableness)
    }

    @Test func theInstructionsDifferAccordingly() throws {
        let formal = try #require(PersonalityEngine.instructions(for: learn(Self.formal)))
        let slangy = try #require(PersonalityEngine.instructions(for: learn(Self.slangy)))
        #expect(formal.contains("Write formally"))
        #expect(slangy.contains("Write casually"))
        #expect(slangy.contains("humour"))
        #expect(formal != slangy)
        #expect(PersonalityEngine.instructions(for: .neutral) == nil)
    }

    @Test func oneMessageMovesAProfileOnlyALittle() {
        let moved = PersonalityEngine.update(.neutral, with: Self.slangy[0])
        #expect(abs(moved.formality - 0.5) <= PersonalityEngine.learningRate * 0.5 + 1e-9)
    }

    @Test(arguments: ["", "   ", "🙂", "Привет! Как дела?", "你好，今天天气很好。", String(repeating: "word ", count: 5_000)])
    func anyTextGivesTraitsInRange(text: String) {
        let t = PersonalityEngine.observe(text)
        for value in [t.extraversion, t.agreeableness, t.formality, t.humour, t.empathy] { #expect((0...1).contains(value)) }
    }
}

@Suite struct FactExtractorTests {
    @Test func everyRuleCompiles() {
        #expect(FactExtractor.compiled.count == FactExtractor.rules.count)
    }

    @Test(arguments: [
        ("Hi, my name is Ana Souza and I need help.", "Name: Ana Souza"),
        ("Please remember that my cat is called Tom.", "Remember: my cat is called Tom"),
        ("I really love spicy ramen, by the way", "Likes: spicy ramen"),
        ("I'm working on a Telegram bot for my team.", "Works on: a Telegram bot for my team"),
        ("My project is called Switchboard.", "Project: Switchboard"),
        ("I live in Lisbon, Portugal.", "Lives in: Lisbon"),
        ("I'm a backend developer at a bank", "Works as: backend developer"),
    ])
    func factsAreFound(message: String, fact: String) {
        #expect(FactExtractor.facts(in: message).contains(fact), "\(FactExtractor.facts(in: message))")
    }

    @Test func ordinaryMessagesGiveNoFacts() {
        #expect(FactExtractor.facts(in: "What is the capital of France?").isEmpty)
        #expect(FactExtractor.facts(in: "").isEmpty)
    }

    @Test func aNewNameReplacesTheOldAndTheListIsBounded() {
        var facts = FactExtractor.merge([], ["Name: Ana"])
        facts = FactExtractor.merge(facts, ["Name: Boris", "Likes: tea"])
        #expect(facts == ["Name: Boris", "Likes: tea"])
        for index in 0..<30 { facts = FactExtractor.merge(facts, ["Remember: item \(index)"]) }
        #expect(facts.count == FactExtractor.limit)
        #expect(facts.last == "Remember: item 29")
    }
}

@Suite struct ConversationAnalyzerTests {
    @Test func sentimentPhaseAndTopic() {
        #expect(ConversationAnalyzer.sentiment(of: "Thanks, that works great! 👍") > 0.5)
        #expect(ConversationAnalyzer.sentiment(of: "This is broken, terrible bug") < -0.5)
        #expect(ConversationAnalyzer.phase(latest: "Hello there", messageCount: 2) == "greeting")
        #expect(ConversationAnalyzer.phase(latest: "I get an error when I run it", messageCount: 6) == "problem solving")
        #expect(ConversationAnalyzer.phase(latest: "Thanks, bye!", messageCount: 10) == "closing")
        #expect(ConversationAnalyzer.topic(of: ["How do I tune sqlite?", "Is sqlite WAL faster?", "sqlite vs postgres"]) == "sqlite")
    }
}
