import Testing

@testable import TelegramBot

@Suite struct AccessPolicyTests {
    @Test func anEmptyAllowListLetsEveryoneIn() {
        let policy = AccessPolicy(allowed: [], admins: [])
        #expect(policy.permits(user: 1, chat: 1))
        #expect(!policy.isAdmin(1))
    }

    @Test func onlyListedUsersGroupsAndAdminsAreAllowed() {
        let policy = AccessPolicy(allowed: [10, -100_200], admins: [99])
        #expect(policy.permits(user: 10, chat: 10))
        #expect(policy.permits(user: 55, chat: -100_200), "anyone in an allowed group")
        #expect(policy.permits(user: 99, chat: 99), "admins are always allowed")
        #expect(!policy.permits(user: 55, chat: 55))
        #expect(!policy.permits(user: 55, chat: -1))
        #expect(!policy.permits(user: 10, chat: -1), "an allowed user does not open a group that is not allowed")
        #expect(policy.permits(user: 99, chat: -1))
        #expect(policy.isAdmin(99))
        #expect(!policy.isAdmin(10))
    }
}
