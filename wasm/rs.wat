;; Tessera Reed-Solomon kernel: GF(2^8) matrix x region product in WASM SIMD.
;;
;; Multiplication of a byte vector x by a constant c uses the split-nibble
;; table trick (the PSHUFB method used by ISA-L):
;;
;;   c*x = lo_tbl[x & 0x0f] XOR hi_tbl[x >> 4]
;;
;; where lo_tbl[k] = c*k and hi_tbl[k] = c*(k<<4), both 16-byte tables that
;; fit in a single v128 and are looked up with i8x16.swizzle.
;;
;; Memory protocol (all offsets are byte addresses in the exported memory;
;; the JS side owns the layout):
;;
;;   tbl      nIn * nOut * 32 bytes of nibble tables, input-major:
;;            the table pair for (input i, output o) lives at
;;            tbl + (i*nOut + o)*32: 16 bytes lo_tbl, then 16 bytes hi_tbl.
;;   inPtrs   nIn  little-endian i32 addresses of the input regions
;;   outPtrs  nOut little-endian i32 addresses of the output regions
;;   len      region length in bytes; MUST be a multiple of 32. (JS pads
;;            shorter tails; padding bytes in the output are garbage.)
;;
;; encode() computes out[o] = XOR_i c[o][i] * in[i] for every output, walking
;; the regions in 4 KiB blocks. Inside a block, outputs are produced in groups
;; of up to four; for each 16/32-byte step every input vector is loaded once,
;; split into nibbles once, and multiplied into all of the group's
;; accumulators, which stay in registers until stored. Inputs are re-read once
;; per group of four outputs, while the block is still hot in L1.
(module
  (memory (export "memory") 2 65536)

  ;; ---------------------------------------------------------------------
  ;; dot1: one output, 32 bytes per step.
  ;; t0: table address of (input 0, this output); ts: table stride per input
  ;; ---------------------------------------------------------------------
  (func $dot1 (param $t0 i32) (param $ts i32) (param $inPtrs i32) (param $nIn i32)
              (param $outPtrs i32) (param $pos i32) (param $end i32)
    (local $pp i32) (local $ppEnd i32) (local $tp i32) (local $src i32)
    (local $o0 i32)
    (local $mask v128) (local $t v128)
    (local $x0 v128) (local $l0 v128) (local $h0 v128)
    (local $x1 v128) (local $l1 v128) (local $h1 v128)
    (local $a0 v128) (local $b0 v128)
    (local.set $mask (v128.const i8x16 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15))
    (local.set $o0 (i32.load offset=0 (local.get $outPtrs)))
    (local.set $ppEnd (i32.add (local.get $inPtrs) (i32.shl (local.get $nIn) (i32.const 2))))
    (loop $steps
      (local.set $a0 (v128.const i64x2 0 0))
      (local.set $b0 (v128.const i64x2 0 0))
      (local.set $pp (local.get $inPtrs))
      (local.set $tp (local.get $t0))
      (loop $inputs
        (local.set $src (i32.add (i32.load (local.get $pp)) (local.get $pos)))
        (local.set $x0 (v128.load offset=0 (local.get $src)))
        (local.set $x1 (v128.load offset=16 (local.get $src)))
        (local.set $l0 (v128.and (local.get $x0) (local.get $mask)))
        (local.set $l1 (v128.and (local.get $x1) (local.get $mask)))
        (local.set $h0 (v128.and (i16x8.shr_u (local.get $x0) (i32.const 4)) (local.get $mask)))
        (local.set $h1 (v128.and (i16x8.shr_u (local.get $x1) (i32.const 4)) (local.get $mask)))
        ;; output 0
        (local.set $t (v128.load offset=0 (local.get $tp)))
        (local.set $a0 (v128.xor (local.get $a0) (i8x16.swizzle (local.get $t) (local.get $l0))))
        (local.set $b0 (v128.xor (local.get $b0) (i8x16.swizzle (local.get $t) (local.get $l1))))
        (local.set $t (v128.load offset=16 (local.get $tp)))
        (local.set $a0 (v128.xor (local.get $a0) (i8x16.swizzle (local.get $t) (local.get $h0))))
        (local.set $b0 (v128.xor (local.get $b0) (i8x16.swizzle (local.get $t) (local.get $h1))))
        (local.set $pp (i32.add (local.get $pp) (i32.const 4)))
        (local.set $tp (i32.add (local.get $tp) (local.get $ts)))
        (br_if $inputs (i32.lt_u (local.get $pp) (local.get $ppEnd))))
      (v128.store offset=0  (i32.add (local.get $o0) (local.get $pos)) (local.get $a0))
      (v128.store offset=16 (i32.add (local.get $o0) (local.get $pos)) (local.get $b0))
      (local.set $pos (i32.add (local.get $pos) (i32.const 32)))
      (br_if $steps (i32.lt_u (local.get $pos) (local.get $end)))))

  ;; ---------------------------------------------------------------------
  ;; dot2: two outputs, 32 bytes per step.
  ;; ---------------------------------------------------------------------
  (func $dot2 (param $t0 i32) (param $ts i32) (param $inPtrs i32) (param $nIn i32)
              (param $outPtrs i32) (param $pos i32) (param $end i32)
    (local $pp i32) (local $ppEnd i32) (local $tp i32) (local $src i32)
    (local $o0 i32) (local $o1 i32)
    (local $mask v128) (local $t v128)
    (local $x0 v128) (local $l0 v128) (local $h0 v128)
    (local $x1 v128) (local $l1 v128) (local $h1 v128)
    (local $a0 v128) (local $b0 v128) (local $a1 v128) (local $b1 v128)
    (local.set $mask (v128.const i8x16 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15))
    (local.set $o0 (i32.load offset=0 (local.get $outPtrs)))
    (local.set $o1 (i32.load offset=4 (local.get $outPtrs)))
    (local.set $ppEnd (i32.add (local.get $inPtrs) (i32.shl (local.get $nIn) (i32.const 2))))
    (loop $steps
      (local.set $a0 (v128.const i64x2 0 0))
      (local.set $b0 (v128.const i64x2 0 0))
      (local.set $a1 (v128.const i64x2 0 0))
      (local.set $b1 (v128.const i64x2 0 0))
      (local.set $pp (local.get $inPtrs))
      (local.set $tp (local.get $t0))
      (loop $inputs
        (local.set $src (i32.add (i32.load (local.get $pp)) (local.get $pos)))
        (local.set $x0 (v128.load offset=0 (local.get $src)))
        (local.set $x1 (v128.load offset=16 (local.get $src)))
        (local.set $l0 (v128.and (local.get $x0) (local.get $mask)))
        (local.set $l1 (v128.and (local.get $x1) (local.get $mask)))
        (local.set $h0 (v128.and (i16x8.shr_u (local.get $x0) (i32.const 4)) (local.get $mask)))
        (local.set $h1 (v128.and (i16x8.shr_u (local.get $x1) (i32.const 4)) (local.get $mask)))
        ;; output 0
        (local.set $t (v128.load offset=0 (local.get $tp)))
        (local.set $a0 (v128.xor (local.get $a0) (i8x16.swizzle (local.get $t) (local.get $l0))))
        (local.set $b0 (v128.xor (local.get $b0) (i8x16.swizzle (local.get $t) (local.get $l1))))
        (local.set $t (v128.load offset=16 (local.get $tp)))
        (local.set $a0 (v128.xor (local.get $a0) (i8x16.swizzle (local.get $t) (local.get $h0))))
        (local.set $b0 (v128.xor (local.get $b0) (i8x16.swizzle (local.get $t) (local.get $h1))))
        ;; output 1
        (local.set $t (v128.load offset=32 (local.get $tp)))
        (local.set $a1 (v128.xor (local.get $a1) (i8x16.swizzle (local.get $t) (local.get $l0))))
        (local.set $b1 (v128.xor (local.get $b1) (i8x16.swizzle (local.get $t) (local.get $l1))))
        (local.set $t (v128.load offset=48 (local.get $tp)))
        (local.set $a1 (v128.xor (local.get $a1) (i8x16.swizzle (local.get $t) (local.get $h0))))
        (local.set $b1 (v128.xor (local.get $b1) (i8x16.swizzle (local.get $t) (local.get $h1))))
        (local.set $pp (i32.add (local.get $pp) (i32.const 4)))
        (local.set $tp (i32.add (local.get $tp) (local.get $ts)))
        (br_if $inputs (i32.lt_u (local.get $pp) (local.get $ppEnd))))
      (v128.store offset=0  (i32.add (local.get $o0) (local.get $pos)) (local.get $a0))
      (v128.store offset=16 (i32.add (local.get $o0) (local.get $pos)) (local.get $b0))
      (v128.store offset=0  (i32.add (local.get $o1) (local.get $pos)) (local.get $a1))
      (v128.store offset=16 (i32.add (local.get $o1) (local.get $pos)) (local.get $b1))
      (local.set $pos (i32.add (local.get $pos) (i32.const 32)))
      (br_if $steps (i32.lt_u (local.get $pos) (local.get $end)))))

  ;; ---------------------------------------------------------------------
  ;; dot3: three outputs, 16 bytes per step (keeps everything in 16 xmm
  ;; registers; a 32-byte step spills under V8).
  ;; ---------------------------------------------------------------------
  (func $dot3 (param $t0 i32) (param $ts i32) (param $inPtrs i32) (param $nIn i32)
              (param $outPtrs i32) (param $pos i32) (param $end i32)
    (local $pp i32) (local $ppEnd i32) (local $tp i32) (local $src i32)
    (local $o0 i32) (local $o1 i32) (local $o2 i32)
    (local $mask v128) (local $t v128)
    (local $x v128) (local $l v128) (local $h v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128)
    (local.set $mask (v128.const i8x16 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15))
    (local.set $o0 (i32.load offset=0 (local.get $outPtrs)))
    (local.set $o1 (i32.load offset=4 (local.get $outPtrs)))
    (local.set $o2 (i32.load offset=8 (local.get $outPtrs)))
    (local.set $ppEnd (i32.add (local.get $inPtrs) (i32.shl (local.get $nIn) (i32.const 2))))
    (loop $steps
      (local.set $a0 (v128.const i64x2 0 0))
      (local.set $a1 (v128.const i64x2 0 0))
      (local.set $a2 (v128.const i64x2 0 0))
      (local.set $pp (local.get $inPtrs))
      (local.set $tp (local.get $t0))
      (loop $inputs
        (local.set $src (i32.add (i32.load (local.get $pp)) (local.get $pos)))
        (local.set $x (v128.load (local.get $src)))
        (local.set $l (v128.and (local.get $x) (local.get $mask)))
        (local.set $h (v128.and (i16x8.shr_u (local.get $x) (i32.const 4)) (local.get $mask)))
        (local.set $a0 (v128.xor (local.get $a0) (v128.xor
          (i8x16.swizzle (v128.load offset=0  (local.get $tp)) (local.get $l))
          (i8x16.swizzle (v128.load offset=16 (local.get $tp)) (local.get $h)))))
        (local.set $a1 (v128.xor (local.get $a1) (v128.xor
          (i8x16.swizzle (v128.load offset=32 (local.get $tp)) (local.get $l))
          (i8x16.swizzle (v128.load offset=48 (local.get $tp)) (local.get $h)))))
        (local.set $a2 (v128.xor (local.get $a2) (v128.xor
          (i8x16.swizzle (v128.load offset=64 (local.get $tp)) (local.get $l))
          (i8x16.swizzle (v128.load offset=80 (local.get $tp)) (local.get $h)))))
        (local.set $pp (i32.add (local.get $pp) (i32.const 4)))
        (local.set $tp (i32.add (local.get $tp) (local.get $ts)))
        (br_if $inputs (i32.lt_u (local.get $pp) (local.get $ppEnd))))
      (v128.store (i32.add (local.get $o0) (local.get $pos)) (local.get $a0))
      (v128.store (i32.add (local.get $o1) (local.get $pos)) (local.get $a1))
      (v128.store (i32.add (local.get $o2) (local.get $pos)) (local.get $a2))
      (local.set $pos (i32.add (local.get $pos) (i32.const 16)))
      (br_if $steps (i32.lt_u (local.get $pos) (local.get $end)))))

  ;; ---------------------------------------------------------------------
  ;; dot4: four outputs, 16 bytes per step.
  ;; ---------------------------------------------------------------------
  (func $dot4 (param $t0 i32) (param $ts i32) (param $inPtrs i32) (param $nIn i32)
              (param $outPtrs i32) (param $pos i32) (param $end i32)
    (local $pp i32) (local $ppEnd i32) (local $tp i32) (local $src i32)
    (local $o0 i32) (local $o1 i32) (local $o2 i32) (local $o3 i32)
    (local $mask v128)
    (local $x v128) (local $l v128) (local $h v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local.set $mask (v128.const i8x16 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15))
    (local.set $o0 (i32.load offset=0  (local.get $outPtrs)))
    (local.set $o1 (i32.load offset=4  (local.get $outPtrs)))
    (local.set $o2 (i32.load offset=8  (local.get $outPtrs)))
    (local.set $o3 (i32.load offset=12 (local.get $outPtrs)))
    (local.set $ppEnd (i32.add (local.get $inPtrs) (i32.shl (local.get $nIn) (i32.const 2))))
    (loop $steps
      (local.set $a0 (v128.const i64x2 0 0))
      (local.set $a1 (v128.const i64x2 0 0))
      (local.set $a2 (v128.const i64x2 0 0))
      (local.set $a3 (v128.const i64x2 0 0))
      (local.set $pp (local.get $inPtrs))
      (local.set $tp (local.get $t0))
      (loop $inputs
        (local.set $src (i32.add (i32.load (local.get $pp)) (local.get $pos)))
        (local.set $x (v128.load (local.get $src)))
        (local.set $l (v128.and (local.get $x) (local.get $mask)))
        (local.set $h (v128.and (i16x8.shr_u (local.get $x) (i32.const 4)) (local.get $mask)))
        (local.set $a0 (v128.xor (local.get $a0) (v128.xor
          (i8x16.swizzle (v128.load offset=0   (local.get $tp)) (local.get $l))
          (i8x16.swizzle (v128.load offset=16  (local.get $tp)) (local.get $h)))))
        (local.set $a1 (v128.xor (local.get $a1) (v128.xor
          (i8x16.swizzle (v128.load offset=32  (local.get $tp)) (local.get $l))
          (i8x16.swizzle (v128.load offset=48  (local.get $tp)) (local.get $h)))))
        (local.set $a2 (v128.xor (local.get $a2) (v128.xor
          (i8x16.swizzle (v128.load offset=64  (local.get $tp)) (local.get $l))
          (i8x16.swizzle (v128.load offset=80  (local.get $tp)) (local.get $h)))))
        (local.set $a3 (v128.xor (local.get $a3) (v128.xor
          (i8x16.swizzle (v128.load offset=96  (local.get $tp)) (local.get $l))
          (i8x16.swizzle (v128.load offset=112 (local.get $tp)) (local.get $h)))))
        (local.set $pp (i32.add (local.get $pp) (i32.const 4)))
        (local.set $tp (i32.add (local.get $tp) (local.get $ts)))
        (br_if $inputs (i32.lt_u (local.get $pp) (local.get $ppEnd))))
      (v128.store (i32.add (local.get $o0) (local.get $pos)) (local.get $a0))
      (v128.store (i32.add (local.get $o1) (local.get $pos)) (local.get $a1))
      (v128.store (i32.add (local.get $o2) (local.get $pos)) (local.get $a2))
      (v128.store (i32.add (local.get $o3) (local.get $pos)) (local.get $a3))
      (local.set $pos (i32.add (local.get $pos) (i32.const 16)))
      (br_if $steps (i32.lt_u (local.get $pos) (local.get $end)))))

  ;; ---------------------------------------------------------------------
  ;; encode(tbl, inPtrs, nIn, outPtrs, nOut, len)
  ;; Requires nIn >= 1 and len % 32 == 0. nOut == 0 or len == 0 is a no-op.
  ;; ---------------------------------------------------------------------
  (func $encode (export "encode")
        (param $tbl i32) (param $inPtrs i32) (param $nIn i32)
        (param $outPtrs i32) (param $nOut i32) (param $len i32)
    (local $blk i32) (local $end i32) (local $g i32) (local $rem i32)
    (local $ts i32) (local $tg i32) (local $og i32)
    (if (i32.eqz (local.get $nIn)) (then (return)))
    ;; table stride between consecutive inputs: nOut * 32 bytes
    (local.set $ts (i32.shl (local.get $nOut) (i32.const 5)))
    (block $done
      (loop $blocks
        (br_if $done (i32.ge_u (local.get $blk) (local.get $len)))
        (local.set $end (i32.add (local.get $blk) (i32.const 4096)))
        (if (i32.gt_u (local.get $end) (local.get $len))
          (then (local.set $end (local.get $len))))
        (local.set $g (i32.const 0))
        (block $groups_done
          (loop $groups
            (local.set $rem (i32.sub (local.get $nOut) (local.get $g)))
            (br_if $groups_done (i32.le_s (local.get $rem) (i32.const 0)))
            (local.set $tg (i32.add (local.get $tbl) (i32.shl (local.get $g) (i32.const 5))))
            (local.set $og (i32.add (local.get $outPtrs) (i32.shl (local.get $g) (i32.const 2))))
            (if (i32.ge_s (local.get $rem) (i32.const 4))
              (then
                (call $dot4 (local.get $tg) (local.get $ts) (local.get $inPtrs) (local.get $nIn)
                            (local.get $og) (local.get $blk) (local.get $end))
                (local.set $g (i32.add (local.get $g) (i32.const 4)))
                (br $groups)))
            (if (i32.eq (local.get $rem) (i32.const 3))
              (then
                (call $dot3 (local.get $tg) (local.get $ts) (local.get $inPtrs) (local.get $nIn)
                            (local.get $og) (local.get $blk) (local.get $end))
                (local.set $g (i32.add (local.get $g) (i32.const 3)))
                (br $groups)))
            (if (i32.eq (local.get $rem) (i32.const 2))
              (then
                (call $dot2 (local.get $tg) (local.get $ts) (local.get $inPtrs) (local.get $nIn)
                            (local.get $og) (local.get $blk) (local.get $end))
                (local.set $g (i32.add (local.get $g) (i32.const 2)))
                (br $groups)))
            (call $dot1 (local.get $tg) (local.get $ts) (local.get $inPtrs) (local.get $nIn)
                        (local.get $og) (local.get $blk) (local.get $end))
            (local.set $g (i32.add (local.get $g) (i32.const 1)))
            (br $groups)))
        (local.set $blk (local.get $end))
        (br $blocks))))
)
