import Foundation
import Testing

@testable import Core

@Suite struct RequestIDTests {
    @Test func aNewIdentifierIsALowerCaseVersion4UUID() throws {
        for _ in 0..<1_000 {
            let id = RequestID.make().rawValue
            #expect(id == id.lowercased())
            let parsed = try #require(UUID(uuidString: id), "not a UUID: \(id)")
            #expect(parsed.uuidString.lowercased() == id)
            let bytes = parsed.uuid
            #expect(bytes.6 >> 4 == 4, "version nibble of \(id)")
            #expect(bytes.8 >> 6 == 0b10, "variant bits of \(id)")
        }
    }

    @Test func identifiersDoNotRepeat() {
        let ids = (0..<20_000).map { _ in RequestID.make() }
        #expect(Set(ids).count == ids.count)
    }
}
