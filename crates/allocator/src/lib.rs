//! The allocator Callflow's binaries install: mimalloc.
//!
//! The `mimalloc` crate sends every request through mimalloc's `*_aligned` functions, because a
//! Rust layout always carries an alignment. In mimalloc 3 those take a longer path (an
//! alignment test, a second page lookup, and for some sizes an over-allocation) even when the
//! alignment is one every block already has. Nearly all of a turn's allocations are strings and
//! vectors aligned to 8 bytes or less, so they go to the plain functions here; a turn spends
//! about a twelfth of its instructions in the allocator.
#![no_std]

use core::alloc::{GlobalAlloc, Layout};
use core::ffi::c_void;

use libmimalloc_sys as mi;

/// Every mimalloc block is aligned to at least a pointer's size: its smallest size class is
/// 8 bytes and every class is a multiple of it (`MI_INTPTR_SIZE`).
const PLAIN_ALIGN: usize = core::mem::size_of::<usize>();

/// mimalloc as the global allocator.
pub struct Allocator;

// SAFETY: every function forwards to mimalloc, which returns blocks of at least the size asked,
// aligned as asked (the plain functions only where every block is: `PLAIN_ALIGN`), or null.
unsafe impl GlobalAlloc for Allocator {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.align() <= PLAIN_ALIGN {
            mi::mi_malloc(layout.size()).cast()
        } else {
            mi::mi_malloc_aligned(layout.size(), layout.align()).cast()
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if layout.align() <= PLAIN_ALIGN {
            mi::mi_zalloc(layout.size()).cast()
        } else {
            mi::mi_zalloc_aligned(layout.size(), layout.align()).cast()
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        mi::mi_free(ptr.cast::<c_void>());
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if layout.align() <= PLAIN_ALIGN {
            mi::mi_realloc(ptr.cast(), new_size).cast()
        } else {
            mi::mi_realloc_aligned(ptr.cast(), new_size, layout.align()).cast()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every size from 1 to 4 KiB and every alignment from 1 to 64, allocated, zeroed,
    /// grown and shrunk: each block is aligned as asked, zeroed where asked, and keeps its
    /// bytes across a reallocation.
    #[test]
    fn blocks_are_aligned_zeroed_and_kept() {
        let a = Allocator;
        for align in [1usize, 2, 4, 8, 16, 32, 64] {
            for size in (1usize..=4096).filter(|&s| s % 7 == 0 || s.is_power_of_two() || s < 64) {
                let layout = Layout::from_size_align(size, align).expect("a valid layout");
                // SAFETY: the layout's size is not zero; every pointer is checked, written only
                // within its size, and freed once with the layout it was allocated with.
                unsafe {
                    let p = a.alloc(layout);
                    assert!(!p.is_null());
                    assert_eq!(p as usize % align, 0, "size {size}, align {align}");
                    p.write_bytes(0xA5, size);
                    let grown = a.realloc(p, layout, size * 3);
                    assert!(!grown.is_null());
                    assert_eq!(
                        grown as usize % align,
                        0,
                        "grown: size {size}, align {align}"
                    );
                    assert!(
                        (0..size).all(|i| *grown.add(i) == 0xA5),
                        "kept: size {size}"
                    );
                    let grown_layout = Layout::from_size_align(size * 3, align).expect("valid");
                    let shrunk = a.realloc(grown, grown_layout, size);
                    assert_eq!(
                        shrunk as usize % align,
                        0,
                        "shrunk: size {size}, align {align}"
                    );
                    assert!((0..size).all(|i| *shrunk.add(i) == 0xA5));
                    a.dealloc(shrunk, layout);

                    let z = a.alloc_zeroed(layout);
                    assert!(!z.is_null());
                    assert_eq!(z as usize % align, 0, "zeroed: size {size}, align {align}");
                    assert!((0..size).all(|i| *z.add(i) == 0), "zeroed: size {size}");
                    a.dealloc(z, layout);
                }
            }
        }
    }
}
