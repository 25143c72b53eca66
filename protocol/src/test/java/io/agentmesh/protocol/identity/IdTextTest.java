package io.agentmesh.protocol.identity;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IdTextTest {
    /** Characters a typo could produce: the whole alphabet in both cases, digits and a few symbols. */
    private static final String TYPO_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_. ";

    /** Valid Bech32m strings from BIP-350's test vectors: the checksum code is the standard one. */
    @ParameterizedTest
    @ValueSource(strings = {"A1LQFN3A", "a1lqfn3a", "abcdef1l7aum6echk45nj3s0wdvt2fg8x9yrzpqzd3ryx",
            "split1checkupstagehandshakeupstreamerranterredcaperredlc445v", "?1v759aa"})
    void checksumAcceptsBip350ValidVectors(String vector) {
        String s = vector.toLowerCase(Locale.ROOT);
        int sep = s.lastIndexOf('1');
        int[] values = s.substring(sep + 1).chars().map(IdText.CHARSET::indexOf).toArray();
        assertEquals(0x2bc830a3, IdText.polymod(s.substring(0, sep), values));
    }

    @Property(tries = 200)
    void nodeAndAgentIdsRoundTripThroughText(@ForAll @Size(20) byte[] bytes) {
        roundTrips(new NodeId(bytes), "node1", 43, NodeId::parse);
        roundTrips(new AgentId(bytes), "agent1", 44, AgentId::parse);
    }

    private static <T> void roundTrips(T id, String prefix, int length, Function<String, T> parse) {
        String text = id.toString();
        assertTrue(text.startsWith(prefix), text);
        assertEquals(length, text.length());
        assertEquals(id, parse.apply(text));
        assertEquals(id, parse.apply(text.toUpperCase(Locale.ROOT)), "all-uppercase is accepted");
        assertEquals(id, parse.apply("  " + text + "\n"), "surrounding white space is ignored");
    }

    @Property(tries = 40)
    void everySingleCharacterSubstitutionOfANodeIdOrAnAgentIdIsRejected(@ForAll @Size(20) byte[] bytes) {
        everySubstitutionIsRejected(new NodeId(bytes).toString(), NodeId::parse);
        everySubstitutionIsRejected(new AgentId(bytes).toString(), AgentId::parse);
    }

    @Property(tries = 200)
    void everyAdjacentTranspositionOfANodeIdOrAnAgentIdIsRejected(@ForAll @Size(20) byte[] bytes) {
        everyTranspositionIsRejected(new NodeId(bytes).toString(), NodeId::parse);
        everyTranspositionIsRejected(new AgentId(bytes).toString(), AgentId::parse);
    }

    private static void everySubstitutionIsRejected(String text, Function<String, ?> parse) {
        for (int i = 0; i < text.length(); i++) {
            for (char c : TYPO_CHARS.toCharArray()) {
                if (c == text.charAt(i)) {
                    continue;
                }
                String typo = text.substring(0, i) + c + text.substring(i + 1);
                if (typo.strip().equals(text)) {
                    continue; // a space at either end is trimmed, which is not a typo in the id
                }
                assertThrows(IdentityException.class, () -> parse.apply(typo), typo);
            }
        }
    }

    private static void everyTranspositionIsRejected(String text, Function<String, ?> parse) {
        for (int i = 0; i + 1 < text.length(); i++) {
            if (text.charAt(i) == text.charAt(i + 1)) {
                continue;
            }
            String typo = text.substring(0, i) + text.charAt(i + 1) + text.charAt(i) + text.substring(i + 2);
            assertThrows(IdentityException.class, () -> parse.apply(typo), typo);
        }
    }

    @Test
    void aChecksumTypoSaysSo() {
        String text = new NodeId(new byte[20]).toString();
        char last = text.charAt(text.length() - 1);
        String typo = text.substring(0, text.length() - 1) + (last == 'q' ? 'p' : 'q');
        IdentityException e = assertThrows(IdentityException.class, () -> NodeId.parse(typo));
        assertEquals(IdentityException.Reason.TYPO, e.reason());
        assertTrue(e.getMessage().contains("node id '" + typo + "' has a typo: check characters do not match"),
                e.getMessage());
    }

    @Test
    void malformedIdsGetMessagesThatSayWhatIsWrong() {
        String node = new NodeId(new byte[20]).toString();
        String agent = new AgentId(new byte[20]).toString();
        assertMessage(() -> NodeId.parse(agent), "is an agent id, not a node id");
        assertMessage(() -> AgentId.parse(node), "is a node id, not an agent id");
        assertMessage(() -> NodeId.parse(node.substring(0, 30)), "cut off");
        assertMessage(() -> NodeId.parse(node + "q"), "extra characters");
        assertMessage(() -> NodeId.parse("node1" + "b".repeat(38)), "'b' at position 6");
        assertMessage(() -> NodeId.parse("Node1" + node.substring(5)), "mixes upper and lower case");
        assertMessage(() -> NodeId.parse(""), "empty");
        assertMessage(() -> NodeId.parse(null), "empty");
        assertMessage(() -> NodeId.parse("peer1abc"), "must start with 'node1'");
    }

    private static void assertMessage(org.junit.jupiter.api.function.Executable parse, String expected) {
        IdentityException e = assertThrows(IdentityException.class, parse);
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void idsDeriveFromTheFirst20BytesOfSha256OfThePublicKey() throws Exception {
        VerifyingKey key = SigningKey.fromSeed(new byte[32]).verifyingKey();
        byte[] sha = java.security.MessageDigest.getInstance("SHA-256").digest(key.bytes());
        assertEquals(new NodeId(java.util.Arrays.copyOf(sha, 20)), NodeId.of(key));
        assertEquals(new AgentId(java.util.Arrays.copyOf(sha, 20)), AgentId.of(key));
        assertNotEquals(NodeId.of(key).toString().substring(5), AgentId.of(key).toString().substring(6),
                "the prefix is part of the checksum, so the same bytes have different check characters");
    }

    @Test
    void idsAreEqualByContentAndOrderedByBytes() {
        byte[] a = new byte[20];
        byte[] b = new byte[20];
        b[0] = (byte) 0x80; // unsigned order: 0x80 > 0x00
        assertEquals(new NodeId(a), new NodeId(a.clone()));
        assertEquals(new NodeId(a).hashCode(), new NodeId(a.clone()).hashCode());
        assertTrue(new NodeId(a).compareTo(new NodeId(b)) < 0);
        assertTrue(new AgentId(b).compareTo(new AgentId(a)) > 0);
        List<NodeId> sorted = new ArrayList<>(List.of(new NodeId(b), new NodeId(a)));
        sorted.sort(null);
        assertEquals(new NodeId(a), sorted.get(0));
    }

    @Test
    void shortFormIsThePrefixAndEightCharacters() {
        NodeId id = new NodeId(new byte[20]);
        assertEquals(13, id.shortForm().length());
        assertTrue(id.toString().startsWith(id.shortForm()));
    }
}
