/* Header-only module: the declaration is all Swift needs; libFuzzer provides the definition. */
#include "CFuzzDriver.h"
