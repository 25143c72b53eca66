package io.agentmesh.node.metrics;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The test parser refuses what the exposition format does not allow, so the scrape tests can fail. */
class PrometheusTextTest {
    @Test
    void aWellFormedExpositionParsesWithItsLabelsAndValues() {
        PrometheusText p = PrometheusText.parse("""
                # HELP a_total things, with a \\\\ backslash
                # TYPE a_total counter
                a_total{kind="x\\"y",b="2"} 3.0
                # TYPE h_seconds histogram
                h_seconds_bucket{le="0.1"} 1
                h_seconds_bucket{le="+Inf"} 2
                h_seconds_count 2
                h_seconds_sum 0.5
                g NaN
                """);
        assertEquals(3.0, p.value("a_total", "kind", "x\"y"));
        assertEquals("histogram", p.families().get("h_seconds").type());
        assertTrue(Double.isNaN(p.value("g")));
    }

    @Test
    void malformedLinesAreRefused() {
        String[] bad = {
                "a b\n",                                              // a value that is not a number
                "1a 2\n",                                             // a bad metric name
                "a{b=\"c} 1\n",                                       // an unterminated label value
                "a{b=\"\\t\"} 1\n",                                   // an escape the format does not have
                "a{b=\"1\",b=\"2\"} 1\n",                             // a repeated label
                "a 1\na 2\n",                                         // a repeated sample
                "a 1\nb 1\na{x=\"1\"} 1\n",                           // a family split in two groups
                "a 1\n# TYPE a counter\n",                            // TYPE after the samples
                "# TYPE a counter\n# TYPE a gauge\na 1\n",            // two TYPEs
                "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_count 1\n", // not cumulative
                "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_count 1\n", // no +Inf bucket
                "a 1",                                                // no final line feed
        };
        for (String text : bad) {
            assertThrows(IllegalArgumentException.class, () -> PrometheusText.parse(text), text);
        }
    }
}
