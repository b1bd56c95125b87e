/* Integer helpers Debian's lx106 libgcc leaves out because the ESP8266 has them in its mask
   ROM (32-bit division, 64-bit multiply and division); a program run outside the chip brings
   its own. Plain shift-and-subtract: short, not fast. */
unsigned __udivsi3(unsigned n, unsigned d);
unsigned __umodsi3(unsigned n, unsigned d);
int __divsi3(int n, int d);
unsigned long long __muldi3(unsigned long long a, unsigned long long b);
unsigned long long __udivdi3(unsigned long long n, unsigned long long d);
unsigned long long __umoddi3(unsigned long long n, unsigned long long d);

unsigned __udivsi3(unsigned n, unsigned d) {
  unsigned q = 0, r = 0;
  for (int bit = 31; bit >= 0; --bit) {
    r = (r << 1) | ((n >> bit) & 1u);
    if (r >= d) {
      r -= d;
      q |= 1u << bit;
    }
  }
  return q;
}

unsigned __umodsi3(unsigned n, unsigned d) { return n - __udivsi3(n, d) * d; }

int __divsi3(int n, int d) {
  unsigned un = n < 0 ? 0u - (unsigned)n : (unsigned)n;
  unsigned ud = d < 0 ? 0u - (unsigned)d : (unsigned)d;
  unsigned q = __udivsi3(un, ud);
  return (n < 0) != (d < 0) ? -(int)q : (int)q;
}

unsigned long long __muldi3(unsigned long long a, unsigned long long b) {
  unsigned long long product = 0;
  while (b != 0) {
    if (b & 1u) product += a;
    a <<= 1;
    b >>= 1;
  }
  return product;
}

unsigned long long __udivdi3(unsigned long long n, unsigned long long d) {
  unsigned long long q = 0, r = 0;
  for (int bit = 63; bit >= 0; --bit) {
    r = (r << 1) | ((n >> bit) & 1u);
    if (r >= d) {
      r -= d;
      q |= 1ull << bit;
    }
  }
  return q;
}

unsigned long long __umoddi3(unsigned long long n, unsigned long long d) { return n - __udivdi3(n, d) * d; }
