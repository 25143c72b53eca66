package io.agentmesh.protocol.identity;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.InputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;

import static io.agentmesh.protocol.identity.IdentityAssertions.assertRefused;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RecoveryPhraseTest {

    @Test
    void theWordListIsTheStandardBip39EnglishList() throws Exception {
        try (InputStream in = RecoveryPhrase.class.getResourceAsStream("bip39-english.txt")) {
            byte[] sha = MessageDigest.getInstance("SHA-256").digest(in.readAllBytes());
            assertEquals("2f5eed53a4727b4bf8880d8f3f199efc90e58503646d9ff8eff3a2ed3b24dbda",
                    HexFormat.of().formatHex(sha));
        }
    }

    /** BIP39 / Trezor reference vectors for 256 bits of entropy. */
    @ParameterizedTest
    @CsvSource({
            "0000000000000000000000000000000000000000000000000000000000000000, abandon abandon abandon abandon abandon"
                    + " abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon"
                    + " abandon abandon abandon abandon abandon abandon art",
            "7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f, legal winner thank year wave sausage"
                    + " worth useful legal winner thank year wave sausage worth useful legal winner thank year wave"
                    + " sausage worth title",
            "8080808080808080808080808080808080808080808080808080808080808080, letter advice cage absurd amount doctor"
                    + " acoustic avoid letter advice cage absurd amount doctor acoustic avoid letter advice cage absurd"
                    + " amount doctor acoustic bless",
            "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff, zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo"
                    + " zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo vote",
            "68a79eaca2324873eacc50cb9c6eca8cc68ea5d936f98787c60c7ebc74e6ce7c, hamster diagram private dutch cause"
                    + " delay private meat slide toddler razor book happy fancy gospel tennis maple dilemma loan word"
                    + " shrug inflict delay length",
            "9f6a2878b2520799a44ef18bc7df394e7061a224d2c33cd015b157d746869863, panda eyebrow bullet gorilla call smoke"
                    + " muffin taste mesh discover soft ostrich alcohol speed nation flash devote level hobby quick"
                    + " inner drive ghost inside",
            "066dca1a2bb7e8a1db2832148ce9933eea0f3ac9548d793112d9a95c9407efad, all hour make first leader extend hole"
                    + " alien behind guard gospel lava path output census museum junior mass reopen famous sing advance"
                    + " salt reform",
            "f585c11aec520db57dd353c69554b21a89b20fb0650966fa0a9d6f74fd989d8f, void come effort suffer camp survey"
                    + " warrior heavy shoot primary clutch crush open amazing screen patrol group space point ten exist"
                    + " slush involve unfold"})
    void entropyAndPhraseMatchTheReferenceVectors(String entropyHex, String phrase) {
        byte[] entropy = HexFormat.of().parseHex(entropyHex);
        assertEquals(phrase, RecoveryPhrase.fromSeed(entropy).words());
        assertArrayEquals(entropy, RecoveryPhrase.parse(phrase).seed());
    }

    @Property(tries = 100)
    void keyToPhraseToKeyIsLossless(@ForAll @Size(32) byte[] seed) {
        SigningKey key = SigningKey.fromSeed(seed);
        RecoveryPhrase phrase = RecoveryPhrase.of(key);
        assertEquals(24, phrase.wordList().size());
        assertEquals(key, RecoveryPhrase.parse(phrase.words()).signingKey());
        assertEquals(phrase, RecoveryPhrase.parse(phrase.words()));
    }

    @Test
    void parsingToleratesCaseAndWhiteSpace() {
        String phrase = "  Legal WINNER thank year\nwave sausage worth useful\tlegal winner thank year wave sausage"
                + " worth useful legal winner thank year wave   sausage worth title \n";
        assertArrayEquals(HexFormat.of().parseHex("7f".repeat(32)), RecoveryPhrase.parse(phrase).seed());
    }

    @Test
    void anUnknownWordIsNamedWithItsPosition() {
        String phrase = "legal winner thank year wave sausage worth useful legal winner thank year wave sausage"
                + " worth useful legal winner thank yeer wave sausage worth title";
        assertRefused(IdentityException.Reason.MALFORMED, "word 20 'yeer' is not in the BIP39 English word list",
                () -> RecoveryPhrase.parse(phrase));
    }

    @Test
    void aMisspelledWordGetsASuggestion() {
        String phrase = ("abandon ".repeat(23) + "art").replaceFirst("abandon", "abandonn");
        IdentityException e = assertThrows(IdentityException.class, () -> RecoveryPhrase.parse(phrase));
        assertTrue(e.getMessage().contains("did you mean 'abandon'?"), e.getMessage());
    }

    @Test
    void aWrongWordCountIsRejected() {
        assertRefused(IdentityException.Reason.MALFORMED, "has 24 words, got 23",
                () -> RecoveryPhrase.parse("abandon ".repeat(22) + "art"));
        IdentityException twelve = assertThrows(IdentityException.class,
                () -> RecoveryPhrase.parse("abandon ".repeat(11) + "about"));
        assertTrue(twelve.getMessage().contains("always use 24 words"), twelve.getMessage());
        assertThrows(IdentityException.class, () -> RecoveryPhrase.parse(""));
        assertThrows(IdentityException.class, () -> RecoveryPhrase.parse(null));
    }

    @Test
    void aBadChecksumIsReportedAsATypo() {
        assertRefused(IdentityException.Reason.TYPO, "checksum does not match",
                () -> RecoveryPhrase.parse("abandon ".repeat(23) + "zoo"));
    }

    @Test
    void swappingTwoWordsIsDetectedMostOfTheTime() {
        // An 8-bit checksum catches a given swap with probability 255/256; this vector's swap is caught.
        List<String> words = new ArrayList<>(RecoveryPhrase.fromSeed(HexFormat.of().parseHex(
                "68a79eaca2324873eacc50cb9c6eca8cc68ea5d936f98787c60c7ebc74e6ce7c")).wordList());
        Collections.swap(words, 0, 1);
        assertThrows(IdentityException.class, () -> RecoveryPhrase.parse(String.join(" ", words)));
    }

    @Test
    void toStringDoesNotShowTheWords() {
        RecoveryPhrase p = RecoveryPhrase.fromSeed(HexFormat.of().parseHex("7f".repeat(32)));
        assertFalse(p.toString().contains("legal"), p.toString());
    }
}
