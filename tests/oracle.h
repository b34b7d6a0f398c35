/* oracle.h - placeholder, replaced by the independent test oracle */
