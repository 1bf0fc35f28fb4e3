// pcg_ref.cpp - reference outputs of pcg-cpp's pcg32 (Debian libpcg-cpp-dev), for
// tests/test_rng.c's bit-exact comparison with sim/rng.c.
//
// Usage: pcg_ref INITSTATE INITSEQ COUNT [DELTA ...]     (decimal unsigned 64-bit)
// Prints, one per line, in decimal:
//   line 1:            "increment state" of pcg32(INITSTATE, INITSEQ) after seeding;
//   next COUNT lines:  its first COUNT outputs;
//   one line per DELTA: the first output of a freshly seeded generator after
//                       advance(DELTA) (DELTA = 2^64 - k steps back by k).
#include <cstdint>
#include <cstdio>
#include <exception>
#include <sstream>
#include <stdexcept>
#include <string>

#include <pcg_random.hpp>

static std::uint64_t parse_u64(const char *text)
{
    std::size_t used = 0;
    std::string s(text);
    unsigned long long v = std::stoull(s, &used, 10);
    if (used != s.size() || s[0] == '-')
        throw std::invalid_argument("not an unsigned decimal: " + s);
    return v;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        std::fprintf(stderr, "usage: %s INITSTATE INITSEQ COUNT [DELTA ...]\n", argv[0]);
        return 2;
    }
    try {
        const std::uint64_t initstate = parse_u64(argv[1]), initseq = parse_u64(argv[2]);
        const std::uint64_t count = parse_u64(argv[3]);

        pcg32 rng(initstate, initseq);
        // operator<< writes "multiplier increment state".
        std::ostringstream text;
        text << rng;
        std::istringstream fields(text.str());
        unsigned long long mult = 0, inc = 0, state = 0;
        fields >> mult >> inc >> state;
        std::printf("%llu %llu\n", inc, state);

        for (std::uint64_t n = 0; n < count; ++n)
            std::printf("%lu\n", static_cast<unsigned long>(rng()));

        for (int a = 4; a < argc; ++a) {
            pcg32 jumped(initstate, initseq);
            jumped.advance(parse_u64(argv[a]));
            std::printf("%lu\n", static_cast<unsigned long>(jumped()));
        }
    } catch (const std::exception &e) {
        std::fprintf(stderr, "pcg_ref: %s\n", e.what());
        return 2;
    }
    return std::fflush(stdout) == 0 ? 0 : 1;
}
