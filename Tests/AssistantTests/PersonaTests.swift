import Testing

@testable import Assistant

@Suite struct PersonaTests {
    @Test(arguments: Persona.allCases)
    func everyPersonaHasItsOwnInstruction(persona: Persona) {
        let others = Persona.allCases.filter { $0 != persona }.map(\.styleInstruction)
        #expect(!persona.styleInstruction.isEmpty)
        #expect(!others.contains(persona.styleInstruction))
    }

    @Test func namesParseLooselyAndUnknownNamesDoNot() {
        #expect(Persona(name: " Professional ") == .professional)
        #expect(Persona(name: "FRIENDLY") == .friendly)
        #expect(Persona(name: "pirate") == nil)
    }
}
